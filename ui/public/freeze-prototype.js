// Prototype-pollution guard for the launcher's own pages, run before any module. It lives here
// instead of Tauri's global `freezePrototype`, which would inject it into every webview: in a
// notebook window it breaks JupyterLab (its launcher loses the Notebook and Console cards).
Object.freeze(Object.prototype);
