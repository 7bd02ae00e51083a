/**
 * @spark-control/plugin-api — everything a plugin may import from the kernel.
 * Import tapable hook classes from here too, so a plugin's hooks share the kernel's tapable copy.
 */
export * from './types.js';
export * from './errors.js';
export * from './shell.js';
export * from './definePlugin.js';
export { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncBailHook } from 'tapable';
export * from './tile.js';
