// Entry point: registering the components is all it takes; <bai-app-shell> is in index.html.
import "./components/app-shell.js";
