// POST /api/checkout: pays an order through a (simulated) payment provider, the slowest and
// least reliable dependency. Its failures are answered as 502, not thrown.
import type Router from '@koa/router';
import { z } from 'zod';
import { ORDER_ID } from '../catalogue/orders.ts';
import { HttpError } from '../http/errors.ts';
import { jsonBody } from '../http/validate.ts';
import { errorBody } from '../http/errors.ts';
import type { RouteDeps } from './deps.ts';

const checkoutBody = z
  .object({
    orderId: z.string().regex(ORDER_ID, 'must look like ord_ followed by 16 hex digits'),
    paymentMethod: z.enum(['card', 'paypal', 'invoice']),
  })
  .strict();

export function checkoutRoutes(router: Router, { simulator, orders, parseJson }: RouteDeps): void {
  router.post('checkout', '/api/checkout', parseJson, async (ctx) => {
    const body = jsonBody(ctx, checkoutBody);
    const order = orders.get(body.orderId);
    if (!order) throw new HttpError(404, `order ${body.orderId} not found`);
    if (order.status !== 'pending')
      throw new HttpError(409, `order ${order.id} is already ${order.status === 'paid' ? 'paid' : 'being paid'}`);
    order.status = 'paying';
    let failed = true;
    try {
      failed = await simulator.run('checkout');
    } finally {
      order.status = failed ? 'pending' : 'paid';
    }
    if (failed) {
      ctx.status = 502;
      ctx.body = errorBody(502, 'payment provider unavailable', ctx.state.requestId as string);
      return;
    }
    ctx.body = { orderId: order.id, status: order.status, chargedCents: order.totalCents };
  });
}
