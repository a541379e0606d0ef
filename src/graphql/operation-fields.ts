import {
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isCompositeType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";

/**
 * The one walker of an operation's fields, used by the cost limit (cost.ts), the write limit
 * (plugins/write-limit.ts via http/write-limit.ts) and the audit (plugins/audit.ts): fragments
 * (named and inline) expanded, each alias its own field, @skip/@include applied with the
 * request's variables, and, given a schema, the type each field is selected on.
 */
export interface FieldWalk {
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Coerced variables: @skip/@include are applied. Without them every field counts as selected (the audit's conservative view). */
  variables?: Record<string, unknown>;
  /** To know each field's parent type (inline fragments and fragment spreads narrow it). */
  schema?: GraphQLSchema;
}

export interface SelectedField {
  node: FieldNode;
  /** The alias, else the field's name: graphql executes one field per response key. */
  responseKey: string;
  /** The type the field is selected on (with a schema; else undefined). */
  parentType: GraphQLCompositeType | undefined;
  /** The fragments expanded on the way here: a spread inside one of them is not expanded again (a cycle). */
  inFragments: ReadonlySet<string>;
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/**
 * The walk of `operationName` in `document` with these raw variables: undefined when the
 * variables do not coerce (execution then answers BAD_USER_INPUT itself).
 */
export function operationWalk(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): { operation: OperationDefinitionNode | null | undefined; walk: FieldWalk } | undefined {
  const operation = getOperationAST(document, operationName);
  const { coerced, errors } = getVariableValues(schema, operation?.variableDefinitions ?? [], rawVariables ?? {}, {
    maxErrors: 1,
  });
  if (errors) return undefined;
  return { operation, walk: { fragments: fragmentsOf(document), variables: coerced, schema } };
}

function included(walk: FieldWalk, node: SelectionNode): boolean {
  if (!walk.variables || !node.directives?.length) return true;
  try {
    const skip = getDirectiveValues(GraphQLSkipDirective, node, walk.variables);
    const include = getDirectiveValues(GraphQLIncludeDirective, node, walk.variables);
    return skip?.if !== true && include?.if !== false;
  } catch {
    // A directive argument that does not coerce: the field may run; count it.
    return true;
  }
}

/** The fields one selection set selects (not their sub-selections), in document order. */
export function selectedFields(
  walk: FieldWalk,
  selectionSet: SelectionSetNode,
  type?: GraphQLCompositeType,
  inFragments: ReadonlySet<string> = new Set(),
): SelectedField[] {
  const out: SelectedField[] = [];
  const narrowed = (
    condition: Parameters<typeof typeFromAST>[1] | undefined,
  ): GraphQLCompositeType | undefined | null => {
    if (!walk.schema || !condition) return type;
    const t = typeFromAST(walk.schema, condition);
    // A condition naming no composite type selects nothing.
    return t && isCompositeType(t) ? t : null;
  };
  const collect = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined, seen: ReadonlySet<string>) => {
    for (const selection of set.selections) {
      if (!included(walk, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        out.push({
          node: selection,
          responseKey: (selection.alias ?? selection.name).value,
          parentType: parent,
          inFragments: seen,
        });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = narrowed(selection.typeCondition);
        if (condition !== null) collect(selection.selectionSet, condition ?? parent, seen);
      } else {
        const name = selection.name.value;
        const fragment = walk.fragments.get(name);
        // Validation refuses cycles; the set keeps this safe regardless.
        if (!fragment || seen.has(name)) continue;
        const condition = narrowed(fragment.typeCondition);
        if (condition !== null) collect(fragment.selectionSet, condition ?? parent, new Set([...seen, name]));
      }
    }
  };
  collect(selectionSet, type, inFragments);
  return out;
}

/** Whether any field selected here (at any depth when `deep`) satisfies the test. */
export function selectsField(
  walk: FieldWalk,
  selectionSet: SelectionSetNode | undefined,
  test: (field: FieldNode) => boolean,
  deep: boolean,
  inFragments: ReadonlySet<string> = new Set(),
): boolean {
  if (!selectionSet) return false;
  return selectedFields(walk, selectionSet, undefined, inFragments).some(
    (f) => test(f.node) || (deep && selectsField(walk, f.node.selectionSet, test, deep, f.inFragments)),
  );
}
