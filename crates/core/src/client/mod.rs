//! Typed calls over HTTP. See the module docs of each submodule.
