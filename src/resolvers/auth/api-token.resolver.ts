import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { duplicateNameError, validateTokenRequest } from '../../auth/token-input';
import { NotFoundError, ProvmlError, ErrorCode } from '../../errors';
import { ApiToken, ApiTokenInput, CreatedApiToken } from '../../schema/auth/api-token.type';
import type { ApiTokenStore } from '../../connectors/provenance/pg-api-tokens';

// The access gate has already required scope admin for these fields (src/auth/access-policy.ts).
function tokensOf(ctx: RequestContext): ApiTokenStore {
  if (!ctx.tokens) throw new ProvmlError(ErrorCode.STORE_UNAVAILABLE, 'token management is not configured on this server');
  return ctx.tokens;
}

@Resolver()
export class ApiTokenResolver {
  @Query(() => [ApiToken], { description: 'Access tokens, without their secrets (admin).' })
  apiTokens(@Ctx() ctx: RequestContext) {
    return tokensOf(ctx).list();
  }

  @Mutation(() => CreatedApiToken, { description: 'Creates an access token (admin); the secret is in this answer only.' })
  async createApiToken(@Ctx() ctx: RequestContext, @Arg('input', () => ApiTokenInput) input: ApiTokenInput) {
    const req = validateTokenRequest(input);
    try {
      const { row, token } = await tokensOf(ctx).create(req);
      return { token: row, secret: token };
    } catch (err) {
      throw duplicateNameError(err, req.name) ?? err;
    }
  }

  @Mutation(() => ApiToken, { description: 'Revokes an access token by id or name (admin); refused at once on every replica.' })
  async revokeApiToken(@Ctx() ctx: RequestContext, @Arg('token', () => String, { description: 'Id or name.' }) token: string) {
    const row = await tokensOf(ctx).revoke(token);
    if (!row) throw new NotFoundError('api token', token);
    return row;
  }
}
