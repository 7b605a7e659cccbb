// The traffic mix: mostly catalogue reads, some orders, a few checkouts, and a share of
// client mistakes (unknown items, bad ids) as real traffic has.
import type { Uniform } from '../simulation/random.ts';

export interface PlannedRequest {
  /** The route template, for the report. */
  route: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** Remembers a bounded number of created orders so later requests can refer to them. */
export class OrderMemory {
  private readonly ids: string[] = [];
  private readonly unpaid: string[] = [];
  private readonly limit: number;
  constructor(limit = 1_000) {
    this.limit = limit;
  }
  remember(id: string): void {
    for (const list of [this.ids, this.unpaid]) {
      list.push(id);
      if (list.length > this.limit) list.shift();
    }
  }
  anyOrder(uniform: Uniform): string | undefined {
    return this.ids[Math.floor(uniform() * this.ids.length)];
  }
  takeUnpaid(): string | undefined {
    return this.unpaid.shift();
  }
}

const weights: [number, (u: Uniform, orders: OrderMemory) => PlannedRequest][] = [
  [40, (u) => ({ route: '/api/items', method: 'GET', path: `/api/items?limit=${10 + Math.floor(u() * 40)}` })],
  // Ids above 100 do not exist: about 8% of lookups are 404s.
  [35, (u) => ({ route: '/api/items/:id', method: 'GET', path: `/api/items/${1 + Math.floor(u() * 108)}` })],
  [
    12,
    (u) => ({
      route: '/api/orders',
      method: 'POST',
      path: '/api/orders',
      body: { items: [{ itemId: 1 + Math.floor(u() * 100), quantity: 1 + Math.floor(u() * 3) }] },
    }),
  ],
  [8, (u, orders) => ({ route: '/api/orders/:id', method: 'GET', path: `/api/orders/${orders.anyOrder(u) ?? 'ord_0000000000000000'}` })],
  [
    5,
    (u, orders) => ({
      route: '/api/checkout',
      method: 'POST',
      path: '/api/checkout',
      body: { orderId: orders.takeUnpaid() ?? 'ord_0000000000000000', paymentMethod: u() < 0.7 ? 'card' : 'paypal' },
    }),
  ],
];
const total = weights.reduce((sum, [weight]) => sum + weight, 0);

/** Each route template's share of the traffic, 0..1. */
export const MIX_SHARES: Readonly<Record<string, number>> = Object.fromEntries(
  weights.map(([weight, make]) => [make(() => 0, new OrderMemory()).route, weight / total]),
);

export function nextRequest(uniform: Uniform, orders: OrderMemory): PlannedRequest {
  let pick = uniform() * total;
  for (const [weight, make] of weights) {
    pick -= weight;
    if (pick < 0) return make(uniform, orders);
  }
  return weights[0]![1](uniform, orders);
}
