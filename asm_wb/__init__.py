__version__ = "0.0.1"

def __getattr__(name):
    "`from asm_wb import ASM`: ASM for a training loop of your own (nbs/03a_asm.ipynb), imported when first asked for."
    if name == 'ASM':
        from .asm import ASM
        return ASM
    raise AttributeError(f"module 'asm_wb' has no attribute {name!r}")
