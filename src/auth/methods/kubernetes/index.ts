/** The Kubernetes auth method. */
export { kubernetesMethod } from './method.js';
