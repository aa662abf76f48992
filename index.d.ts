// The package's types: those napi-rs generates from the binding, with our hand-kept header.
export * from "./binding.js";
