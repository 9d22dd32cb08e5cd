export * from "./plugin-manifest-contract";
export * from "./plugins";
