"""The few X11 calls the desktop benchmark needs, through libX11 and ctypes (no Python package,
no xdotool): find an app's mapped top-level windows by title, and close one as a window
manager does when the user clicks its close button (a WM_DELETE_WINDOW client message)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_lib = ctypes.util.find_library("X11") or "libX11.so.6"
X = ctypes.cdll.LoadLibrary(_lib)

Window = Atom = ctypes.c_ulong
IS_VIEWABLE = 2
CLIENT_MESSAGE = 33
NO_EVENT_MASK = 0


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("border_width", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p),
        ("root", Window),
        ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", Window),
        ("message_type", Atom),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


X.XOpenDisplay.restype = ctypes.c_void_p
X.XOpenDisplay.argtypes = [ctypes.c_char_p]
X.XCloseDisplay.argtypes = [ctypes.c_void_p]
X.XDefaultRootWindow.restype = Window
X.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
X.XInternAtom.restype = Atom
X.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
X.XQueryTree.argtypes = [
    ctypes.c_void_p,
    Window,
    ctypes.POINTER(Window),
    ctypes.POINTER(Window),
    ctypes.POINTER(ctypes.POINTER(Window)),
    ctypes.POINTER(ctypes.c_uint),
]
X.XGetWindowProperty.argtypes = [
    ctypes.c_void_p,
    Window,
    Atom,
    ctypes.c_long,
    ctypes.c_long,
    ctypes.c_int,
    Atom,
    ctypes.POINTER(Atom),
    ctypes.POINTER(ctypes.c_int),
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_void_p),
]
X.XGetWindowAttributes.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(XWindowAttributes)]
X.XSendEvent.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
X.XFlush.argtypes = [ctypes.c_void_p]
X.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
X.XFree.argtypes = [ctypes.c_void_p]

# A window may go away between listing and asking; Xlib's default handler would exit.
_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda d, e: 0)
X.XSetErrorHandler.argtypes = [ctypes.c_void_p]
X.XSetErrorHandler(ctypes.cast(_ERROR_HANDLER, ctypes.c_void_p))


class Display:
    def __init__(self, name: str | None = None):
        name = name or os.environ.get("DISPLAY")
        self.d = X.XOpenDisplay(name.encode() if name else None)
        if not self.d:
            raise RuntimeError(f"cannot open the X display {name!r}")
        self.root = X.XDefaultRootWindow(self.d)
        self.wm_name = self.atom("_NET_WM_NAME")
        self.utf8 = self.atom("UTF8_STRING")
        self.wm_protocols = self.atom("WM_PROTOCOLS")
        self.wm_delete = self.atom("WM_DELETE_WINDOW")

    def close(self) -> None:
        X.XCloseDisplay(self.d)

    def atom(self, name: str) -> int:
        return X.XInternAtom(self.d, name.encode(), 0)

    def _children(self, w: int) -> list[int]:
        root, parent = Window(), Window()
        kids, n = ctypes.POINTER(Window)(), ctypes.c_uint()
        if not X.XQueryTree(self.d, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)):
            return []
        out = [kids[i] for i in range(n.value)]
        if kids:
            X.XFree(kids)
        return out

    def _title(self, w: int) -> str | None:
        actual, fmt = Atom(), ctypes.c_int()
        n, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        ok = X.XGetWindowProperty(
            self.d, w, self.wm_name, 0, 1024, 0, self.utf8,
            ctypes.byref(actual), ctypes.byref(fmt), ctypes.byref(n), ctypes.byref(after), ctypes.byref(data),
        )
        if ok != 0 or not data.value:
            return None
        try:
            return ctypes.string_at(data.value, n.value).decode(errors="replace")
        finally:
            X.XFree(data)

    def _viewable(self, w: int) -> bool:
        attrs = XWindowAttributes()
        return bool(X.XGetWindowAttributes(self.d, w, ctypes.byref(attrs))) and attrs.map_state == IS_VIEWABLE

    def windows(self, title: str) -> list[int]:
        """The mapped windows whose _NET_WM_NAME is `title`."""
        X.XSync(self.d, 0)
        found, todo = [], [self.root]
        while todo:
            w = todo.pop()
            if w != self.root and self._title(w) == title and self._viewable(w):
                found.append(w)
            todo.extend(self._children(w))
        return found

    def close_window(self, w: int) -> None:
        """What a window manager sends when the user clicks the window's close button."""
        ev = XEvent()
        ev.xclient.type = CLIENT_MESSAGE
        ev.xclient.window = w
        ev.xclient.message_type = self.wm_protocols
        ev.xclient.format = 32
        ev.xclient.data[0] = self.wm_delete
        ev.xclient.data[1] = 0  # CurrentTime
        X.XSendEvent(self.d, w, 0, NO_EVENT_MASK, ctypes.byref(ev))
        X.XFlush(self.d)
