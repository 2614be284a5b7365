/** The AppRole auth method's public surface. */

export { approleMethod } from './method.js';
