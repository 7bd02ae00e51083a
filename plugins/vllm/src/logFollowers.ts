import { ClientSlots } from '@spark-control/plugin-api';

/** Each follower is a remote `docker logs -f` (and its SSH channel) for as long as the client listens. */
export const LOG_FOLLOWERS_PER_CLIENT = 4;
export const LOG_FOLLOWERS_TOTAL = 16;

/** Open container-log followers per client address and in all; `take` refuses with 429 past either cap. */
export const logFollowerSlots = (): ClientSlots => new ClientSlots('VLLM_TOO_MANY_LOG_FOLLOWERS', 'log followers', LOG_FOLLOWERS_PER_CLIENT, LOG_FOLLOWERS_TOTAL);
