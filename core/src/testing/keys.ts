/** Key pairs for tests that plant keys on a simulated Spark (the same generator the kernel uses for its own key). */
export { generateUsableKeyPair } from '../services/ssh/keyPair.js';
