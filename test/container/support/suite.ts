// The one `before` every container spec uses: skip loudly where podman cannot run, else build.
import type { Context } from 'mocha';
import { prepareImage, type BuiltImage } from './image.ts';
import { canInstallPodman, podmanInstalled } from './podman.ts';

let warned = false;

export async function requireImage(ctx: Context): Promise<BuiltImage> {
  // A fresh machine installs podman and debootstraps the base (~2 min); later runs take seconds.
  ctx.timeout(900_000);
  if (!podmanInstalled() && !canInstallPodman()) {
    if (!warned) {
      warned = true;
      const bar = '!'.repeat(100);
      console.warn(
        `\n${bar}\n!!! CONTAINER TESTS SKIPPED: podman is not installed, and this is not root with apt-get to install it.\n` +
          `!!! The Dockerfile was NOT built or run. Install podman, runc and debootstrap (see README "Container") and rerun.\n${bar}\n`,
      );
    }
    ctx.skip();
  }
  return prepareImage();
}
