"""cryptotrace case: make case packs from scenario files, and check answers."""

from __future__ import annotations

NAME = "case"
HELP = "make a case pack from a scenario file (case new), or check an answer (case check)"
ORDER = 40
DESCRIPTION = """Instructors: 'cryptotrace case new SCENARIO.yaml -o PACK' writes a case pack (dataset,
briefing, evidence, questions, tags, legal responses, and an instructor/ folder with the answers).
Trainees: 'cryptotrace case check PACK QUESTION_ID ANSWER' says whether an answer is right."""


def add_arguments(p):
    sub = p.add_subparsers(dest="case_command", metavar="ACTION")
    n = sub.add_parser("new", help="write a case pack from a scenario file")
    n.add_argument("scenario", help="a scenario YAML file (see sample_data/scenarios/)")
    n.add_argument("-o", "--out", required=True, help="the pack folder to create")
    n.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    n.add_argument(
        "--variants",
        type=int,
        default=1,
        help="make K variants (seeds seed, seed+1 ...), one per trainee, in OUT/variant_01 ...",
    )
    n.add_argument("--overwrite", action="store_true", help="replace an existing pack")
    n.add_argument("--exam", action="store_true", help="an exam pack: the self-check gives no hints")
    c = sub.add_parser("check", help="check an answer to one question of a case pack")
    c.add_argument("pack", help="the case pack folder (or a bundled name such as nps_vendor)")
    c.add_argument("question", help="the question id, e.g. nps_vendor.peel_hops")
    c.add_argument("answer", nargs="+", help="the answer (amounts in BTC; lists as several words or a,b,c)")
    c.add_argument("--exam", action="store_true", help="say only right or not right (no hints)")
    h = sub.add_parser("handout", help="copy a case pack without its instructor/ folder (for trainees)")
    h.add_argument("pack", help="the case pack folder, or a folder of variants (one handout per variant)")
    h.add_argument("-o", "--out", required=True, help="the folder for the trainee's copy")
    h.add_argument("--overwrite", action="store_true", help="replace an existing copy")
    h.add_argument("--exam", action="store_true", help="an exam handout: no hint hashes, checks say only right or not")
    u = sub.add_parser("upgrade", help="remake the self-check of a pack made by an older cryptotrace (instructors)")
    u.add_argument("pack", help="the instructor's case pack folder (with instructor/)")
    q = sub.add_parser("questions", help="list the questions of a case pack")
    q.add_argument("pack")
    p.set_defaults(_parser=p)


def run(args) -> int:
    from ..cases import load_case, make_case

    action = getattr(args, "case_command", None)
    if action == "new":
        made = make_case(
            args.scenario, args.out, seed=args.seed, variants=args.variants, overwrite=args.overwrite, exam=args.exam
        )
        packs = made if isinstance(made, list) else [made]
        for p in packs:
            case = load_case(p)
            print(f"wrote case pack {p}: {case.title}, {len(case.questions)} questions")
        print("Hand trainees a copy WITHOUT the instructor/ folder: 'cryptotrace case handout PACK -o COPY'.")
        return 0
    if action == "check":
        case = load_case(args.pack)
        qkind = case.questions.kind.get(args.question)
        answer = args.answer if (qkind == "list" and len(args.answer) > 1) else " ".join(args.answer)
        result = case.check(args.question, answer, exam=args.exam)
        print(result)
        return 0 if result.correct else 1
    if action == "handout":
        from ..cases.pack import trainee_copy

        made = trainee_copy(args.pack, args.out, overwrite=args.overwrite, exam=args.exam)
        kind = "an exam handout (no hints)" if args.exam else "ready for a trainee"
        for out in made if isinstance(made, list) else [made]:
            print(f"wrote {out}: the case pack without its instructor/ folder, {kind}")
        return 0
    if action == "upgrade":
        from ..cases.pack import upgrade_pack

        out = upgrade_pack(args.pack)
        print(
            f"remade the self-check of {out} (new random secret in instructor/answer_key). "
            "Make new handouts from it: 'cryptotrace case handout PACK -o COPY'"
        )
        return 0
    if action == "questions":
        case = load_case(args.pack)
        print(f"{case.title}")
        for qid, row in case.questions.iterrows():
            print(f"  {qid} ({row.kind}): {row.text}")
        return 0
    args._parser.print_help()
    return 1
