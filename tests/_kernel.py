"""The Jupyter kernel the notebook tests run on (test infrastructure, shared by the notebook tests)."""

from __future__ import annotations


def kernel_name() -> str:
    """The kernel name to use: python3, provided by ipykernel in this environment."""
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    import ipykernel  # noqa: F401  (the python3 kernel must come from this environment)

    ksm = KernelSpecManager()
    spec = ksm.get_kernel_spec(NATIVE_KERNEL_NAME)
    assert spec.language == "python"
    return NATIVE_KERNEL_NAME
