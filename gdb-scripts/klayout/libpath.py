"""libpath.py: where libklayout.so, the rules engine the commands call through ctypes, is: the
one place that looks for it, so a kernel tree, an installed copy and a staged DESTDIR all work.

In order: $KLAYOUT_LIB; PREFIX/lib/klayout beside an installed copy of this package
(PREFIX/share/klayout/gdb/klayout, also under a DESTDIR); the path `make install` recorded in
installed.py (LIBDIR may be elsewhere, e.g. Debian's multiarch directory); the source tree's
build/. This module imports nothing from GDB, so plain Python can test it."""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _installed_path():
    path = os.path.join(HERE, "installed.py")
    if not os.path.isfile(path):
        return ""
    spec = importlib.util.spec_from_file_location("klayout_installed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "LIBKLAYOUT", "")


def libklayout():
    """The path of libklayout.so, or None when there is none."""
    candidates = (os.environ.get("KLAYOUT_LIB", ""),
                  os.path.join(HERE, "..", "..", "..", "..", "lib", "klayout", "libklayout.so"),
                  _installed_path(),
                  os.path.join(HERE, "..", "..", "build", "libklayout.so"))
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.normpath(c)
    return None
