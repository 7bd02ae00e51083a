/**
 * @spark-control/plugin-api — everything a plugin may import from the kernel. Published as its own package by
 * scripts/build-plugin-api.mjs (this entry is `.`; test helpers are `./testing`); inside this repo plugins import it
 * by relative path. Its version is {@link SPARK_PLUGIN_API_VERSION}; what counts as breaking: docs/plugins.md.
 * Import tapable hook classes from here too, so a plugin's own hooks (for others to tap) use the same classes.
 */
export * from './types.js';
export * from './errors.js';
export * from './codes.js';
export * from './shell.js';
export * from './ids.js';
export * from './authorizedKeys.js';
export * from './definePlugin.js';
export { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncBailHook } from 'tapable';
export * from './tile.js';
export * from './fakeService.js';
export * from './clientSlots.js';
export * from './schemas.js';
export { suggestField, unknownFieldError, unknownFields } from './unknownFields.js';
export * from './containerLogs.js';
