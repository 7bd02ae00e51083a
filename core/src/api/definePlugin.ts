import type { z } from 'zod';
import type { ExtensionPoint, SimControl, SparkPlugin, SparkPluginDefinition } from './types.js';

/** Version of THIS plugin API. Plugins state a semver range for it in `manifest.apiVersion`. */
export const SPARK_PLUGIN_API_VERSION = '2.1.0';

/** Brands a plugin definition so the kernel can recognise it (works across bundled copies of this API). */
export function defineSparkPlugin<S extends z.ZodType>(def: SparkPluginDefinition<S>): SparkPlugin<S> {
  return Object.freeze({ ...def, $$type: 'spark-control/plugin@1' as const });
}

/** Declares an extension point a plugin can `provide` and its dependents can `use`. */
export function defineExtensionPoint<T>(id: string): ExtensionPoint<T> {
  return Object.freeze({ id, $$type: 'spark-control/extension-point@1' as const });
}

/** Offered by the kernel only when it runs the simulated cluster (`ctx.use(simControlPoint)`; no dependsOn needed). */
export const simControlPoint: ExtensionPoint<SimControl> = defineExtensionPoint<SimControl>('kernel.sim');
