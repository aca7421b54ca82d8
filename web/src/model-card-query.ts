// The paper's Q1-Q6 for one model, in one request across the four stores (as
// examples/queries/model-card.graphql, q1 and q2). Store fields are nullable: a store that is down
// leaves an error at its field's path, and the card shows that field as unavailable.
export const MODEL_CARD = `query WebModelCard($uri: String!) {
  model(uri: $uri) {
    id
    name
    recordedAt
    reference { uri store object { size etag modified contentType } }
    hyperparameters { name role value }
    evaluations { name value }
    datasets {
      name
      dataReference {
        id
        uri
        object { size modified }
        wasGeneratedBy { id ... on TaskExecution { transformation { name } used { name value } run { id } } }
        wasDerivedFrom {
          id
          uri
          store
          object { size modified contentType }
          extraction { status characteristics { name value } }
          knowledge {
            iri
            label
            basin: value(predicate: "pml:basin")
            field: value(predicate: "pml:field")
            wells: values(predicate: "pml:nearbyWell")
          }
          document { geometry }
          usedBy { id ... on TaskExecution { transformation { name } generated { name value } } }
        }
      }
    }
    trainingExecution {
      id
      host
      startedAt
      endedAt
      durationMs
      durationStats(of: "batch") { count minMs avgMs maxMs }
      parent { id startedAt endedAt }
      run {
        id
        startedAt
        endedAt
        attributes
        experiment { name }
        gpuSummary { host gpuIndex gpuName samples avgUtilization maxUtilization maxMemoryUsed maxTemperature energy }
      }
    }
  }
}`;
