import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { parseGeometry } from '../../connectors/documents/geojson-geometry';
import type { RequestContext } from '../../context';
import { ModelReferenceValue } from '../../schema/ml/attribute-value.types';
import { JSONScalar } from '../../schema/scalars';
import { valueView } from '../../schema/views';
import { modelsTrainedOnArea } from './models-on-area';
import { pageArgs } from './views';

/**
 * The spatial question lives in the provenance subschema: the document subschema cannot see
 * lineage, and this field reaches the document stores through the registry in the context.
 */
@Resolver()
export class SpatialResolver {
  @Query(() => [ModelReferenceValue], {
    description:
      'Trained models (PROV-ML ModelReferenceValues) whose training data came from domain objects (e.g. seismic cubes) whose polygon in the document stores intersects `geometry` (GeoJSON, WGS84 longitude/latitude), in id order. A document store that fails gives STORE_UNAVAILABLE or STORE_TIMEOUT.',
  })
  async modelsTrainedOnArea(
    @Ctx() ctx: RequestContext,
    @Arg('geometry', () => JSONScalar, { description: 'A GeoJSON geometry: Point, LineString, Polygon or their Multi forms.' })
    geometry: unknown,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('store', () => String, { nullable: true, description: 'Ask this document store only.' }) store: string | null,
  ): Promise<ModelReferenceValue[]> {
    const shape = parseGeometry(geometry, 'geometry');
    const rows = await modelsTrainedOnArea(ctx, shape, pageArgs(ctx, first).first, store ?? null);
    return rows.map(valueView) as ModelReferenceValue[];
  }
}
