/** A simulated server fault: an unexpected exception, as a real bug or outage would raise. */
export class SimulatedFailure extends Error {
  constructor(route: string) {
    super(`simulated failure in ${route}`);
    this.name = 'SimulatedFailure';
  }
}
