import type { ServerResponse } from 'node:http';
import type { TokenUsage } from './tokenUsage.js';

/** The usage counted for a response, by the response: the activity log reads it for a stream whose client never saw
 *  its usage chunk (it was asked for by the proxy and stripped). Gone with the response. */
const counted = new WeakMap<ServerResponse, TokenUsage>();

export const noteCountedUsage = (res: ServerResponse, u: TokenUsage): void => { counted.set(res, u); };
export const countedUsageOf = (res: ServerResponse): TokenUsage | undefined => counted.get(res);
