// Orders live in memory, in a bounded store: the oldest are forgotten first, so a flood of
// POSTs cannot grow the heap without limit.
import { randomBytes } from 'node:crypto';

export interface OrderLine {
  itemId: number;
  quantity: number;
}

export interface Order {
  id: string;
  lines: OrderLine[];
  totalCents: number;
  /** `paying` while the payment provider is asked, so a concurrent checkout cannot pay twice. */
  status: 'pending' | 'paying' | 'paid';
  createdAt: string;
}

export const ORDER_ID = /^ord_[0-9a-f]{16}$/;

export class OrderStore {
  private readonly orders = new Map<string, Order>();
  readonly capacity: number;

  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.orders.size;
  }

  create(lines: OrderLine[], totalCents: number): Order {
    const order: Order = {
      id: `ord_${randomBytes(8).toString('hex')}`,
      lines,
      totalCents,
      status: 'pending',
      createdAt: new Date().toISOString(),
    };
    this.orders.set(order.id, order);
    if (this.orders.size > this.capacity) {
      const oldest = this.orders.keys().next().value;
      if (oldest !== undefined) this.orders.delete(oldest);
    }
    return order;
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }
}
