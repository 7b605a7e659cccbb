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
