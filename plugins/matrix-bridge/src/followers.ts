import { ClientSlots } from '@spark-control/plugin-api';

/** Each follower is a remote `docker logs -f` (and its SSH channel) for as long as the client listens. */
export const FOLLOWERS_PER_CLIENT = 4;
export const FOLLOWERS_TOTAL = 16;

/** Open log followers per client address and in all; `take` refuses with 429 past either cap. */
export class FollowerSlots extends ClientSlots {
  constructor(perClient = FOLLOWERS_PER_CLIENT, max = FOLLOWERS_TOTAL) {
    super('MATRIX_TOO_MANY_FOLLOWERS', 'log followers', perClient, max);
  }
}
