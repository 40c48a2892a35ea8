"""libklayout.py: the rules engine (build/libklayout.so, engine/klayout.h) through ctypes, each
function's signature declared once for both Python front ends: the `klayout` commands inside GDB
(engine.py) and the thread proxy outside it (gdb-scripts/kthreads.py, which imports this module
as a top-level one). libpath.py finds the library; nothing here imports GDB."""
import ctypes
import ctypes.util

if __package__:
    from . import libpath
else:
    import libpath

# kl_read_fn: int (*)(void *ctx, uint64_t paddr, void *buf, uint64_t len)
READ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p,
                        ctypes.c_uint64)
_lib = None


def path():
    """Where libklayout.so is: libpath.libklayout() (the one place that looks: $KLAYOUT_LIB, an
    installed copy, the tree's build/), then the dynamic loader's own search; None if nowhere."""
    return libpath.libklayout() or ctypes.util.find_library("klayout")


def _declare(lib):
    P, S, I, U32, U64 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_uint32, ctypes.c_uint64
    U64P, U32P, STR = ctypes.POINTER(U64), ctypes.POINTER(U32), ctypes.c_char_p
    sig = {
        "kl_new": (P, [STR, READ, P]),
        "kl_set_live": (None, [P, I]),
        "kl_set_ram": (None, [P, U64, U64]),
        "kl_set_sparse": (None, [P, I]),
        "kl_add_hart": (None, [P, U64, U64]),
        "kl_set_no_harts": (None, [P, STR]),
        "kl_load": (I, [P]),
        "kl_open_elf": (I, [P, STR]),
        "kl_close": (None, [P]),
        "kl_header_ok": (I, [P]),
        "kl_header_problem": (I, [P, STR, S]),
        "kl_record_warning": (I, [P, STR, S]),
        "kl_elf_matches": (I, [P]),
        "kl_other_build": (I, [P, STR, S]),
        "kl_check_text": (P, [P, I, I, ctypes.POINTER(S)]),
        "kl_stacks_text": (P, [P]),
        "kl_record_text": (P, [P]),
        "kl_diagram_text": (P, [P]),
        "kl_free": (None, [P]),
        "kl_task_state_name": (STR, [U32]),
        "kl_task_name_bytes": (STR, [STR]),
        "kl_set_program": (None, [STR]),
        "kl_last_error": (STR, []),
        # threads.c: every task as a debugger's thread (the proxy)
        "kl_set_hart_regs": (None, [P, U64P]),
        "kl_set_hart_csrs": (None, [P, U64, U64]),
        "kl_task_regs": (I, [P, U32, U64P, U32P]),
        "kl_task_on_hart": (I, [P, U32]),
        "kl_task_ids": (S, [P, U32P, S]),
        "kl_task_line": (I, [P, U32, STR, S, STR, S]),
        "kl_hart_line": (None, [P, STR, S]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args


def load():
    """The library with its signatures declared, loaded once; messages come back through
    kl_last_error, never on stderr. OSError (or AttributeError for an older library) when it
    cannot be loaded; LookupError when there is none."""
    global _lib
    if _lib is None:
        where = path()
        if where is None:
            raise LookupError("libklayout.so not found (run `make host`, or set KLAYOUT_LIB to "
                              "its path)")
        lib = ctypes.CDLL(where)
        _declare(lib)
        lib.kl_set_program(None)
        _lib = lib
    return _lib
