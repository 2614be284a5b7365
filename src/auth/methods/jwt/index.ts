/** The JWT auth method. */
export { jwtMethod } from './method.js';
