// A token request refused with invalid_grant says why. oidc-provider answers every invalid_grant with the same
// "grant request is invalid" and keeps the reason (code expired, already used, PKCE or DPoP binding failed, client
// mismatch) in the error's error_detail; a developer cannot act on the first, and the second reveals nothing secret.
import type Provider from 'oidc-provider';

export function explainGrantErrors(provider: Provider): void {
  const reasons = new WeakMap<object, string>();
  provider.on('grant.error', (ctx, error) => {
    const detail = (error as { error_detail?: unknown }).error_detail;
    if (typeof detail === 'string' && detail) reasons.set(ctx, detail);
  });
  provider.use(async (ctx, next) => {
    await next();
    const reason = reasons.get(ctx);
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    if (reason && body?.error === 'invalid_grant') ctx.body = { ...body, error_description: `${body.error_description ?? 'grant request is invalid'}: ${reason}` };
  });
}
