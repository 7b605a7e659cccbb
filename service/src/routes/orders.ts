// POST /api/orders and GET /api/orders/:id: writes, with body validation.
import type Router from '@koa/router';
import { z } from 'zod';
import { findItem } from '../catalogue/items.ts';
import { ORDER_ID } from '../catalogue/orders.ts';
import { HttpError } from '../http/errors.ts';
import { jsonBody, parseWith } from '../http/validate.ts';
import { usualStatus } from '@redline/red-metrics/koa';
import { SimulatedFailure } from '../simulation/failure.ts';
import type { RouteDeps } from './deps.ts';

const newOrder = z
  .object({
    items: z
      .array(z.object({ itemId: z.number().int().positive(), quantity: z.number().int().min(1).max(99) }).strict())
      .min(1)
      .max(50),
  })
  .strict();

const orderId = z.string().regex(ORDER_ID, 'must look like ord_ followed by 16 hex digits');

export function orderRoutes(router: Router, { simulator, orders, parseJson }: RouteDeps): void {
  router.post(
    'create_order',
    '/api/orders',
    parseJson,
    usualStatus(201, async (ctx) => {
      const body = jsonBody(ctx, newOrder);
      let totalCents = 0;
      for (const line of body.items) {
        const item = findItem(line.itemId);
        if (!item) throw new HttpError(422, `item ${line.itemId} does not exist`);
        totalCents += item.priceCents * line.quantity;
      }
      if (await simulator.run('create_order')) throw new SimulatedFailure('create_order');
      const order = orders.create(body.items, totalCents);
      ctx.status = 201;
      ctx.set('Location', `/api/orders/${order.id}`);
      ctx.body = order;
    }),
  );

  router.get('get_order', '/api/orders/:id', async (ctx) => {
    const id = parseWith(orderId, ctx.params.id, 'order id');
    if (await simulator.run('get_order')) throw new SimulatedFailure('get_order');
    const order = orders.get(id);
    if (!order) throw new HttpError(404, `order ${id} not found`);
    ctx.body = order;
  });
}
