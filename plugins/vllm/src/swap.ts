/** The model swap lives in swap/ (one file per job of it); this path stays for the files that import it. */
export { SWAP_PHASES, SwapController, type ActiveModel, type LostModel } from './swap/SwapController.js';
