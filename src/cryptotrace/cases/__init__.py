"""Cases for teaching: the economy simulator, ground truth, scenarios and case packs.

* :func:`generate` makes a synthetic chain and its :class:`AnswerKey`;
* :class:`Scenario` / :func:`load_scenario` describe a case (YAML or Python);
* :func:`make_case` writes a case pack; :func:`load_case` opens one as a :class:`Case`
  whose ``check(question_id, answer)`` tells a trainee whether they are right.
"""

from .answer_key import AnswerKey
from .case import Case, load_case
from .checking import CheckResult
from .generate import generate, load_answer_key
from .pack import make_case, trainee_copy
from .scenario import Background, CaseSpec, Scenario, load_scenario

__all__ = [
    "AnswerKey",
    "Background",
    "Case",
    "CaseSpec",
    "CheckResult",
    "Scenario",
    "generate",
    "load_answer_key",
    "load_case",
    "load_scenario",
    "make_case",
    "trainee_copy",
]
