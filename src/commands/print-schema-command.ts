import { defineCommand } from './command-args';

/** `provml print-schema`: what `npm run schema` writes to schema.graphql. */
export const printSchemaCommand = defineCommand({
  synopsis: 'provml print-schema',
  description: 'Print the public stitched schema (SDL): provenance plus the store subschemas, merge fields filtered out.',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(_args, io) {
    const { printPublicSchema } = await import('../schema/build-schema');
    const { defaultGatewaySchema } = await import('../schema/stitch');
    io.out.write(printPublicSchema(defaultGatewaySchema()));
    return 0;
  },
});
