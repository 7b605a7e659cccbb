import type { Middleware } from 'koa';
import type { Simulator } from '../simulation/simulator.ts';
import type { OrderStore } from '../catalogue/orders.ts';

/** What the API routes need from the rest of the service. */
export interface RouteDeps {
  simulator: Simulator;
  orders: OrderStore;
  /** Parses a JSON body within the size limit; given per route, so errors keep the route label. */
  parseJson: Middleware;
}

/** A simulated server fault: an unexpected exception, as a real bug or outage would raise. */
export class SimulatedFailure extends Error {
  constructor(route: string) {
    super(`simulated failure in ${route}`);
    this.name = 'SimulatedFailure';
  }
}
