import { InterfaceType } from 'type-graphql';
import { Node } from './node.interface';

/** prov:Entity — a thing with a fixed aspect: a data reference, an attribute value. */
@InterfaceType({ implements: Node, description: 'W3C PROV prov:Entity.' })
export abstract class Entity extends Node {}
