/// A stage's parameters after its last step (``TrainingResult/final``). The span engine keeps its filters as
/// `W = W⁽⁰⁾ + c μᵀ + R Ξ` (docs/model.md §5) with the training set and materialises `W` only when read: a sweep row's
/// models are evaluated through the span (``TestDraws/evaluate(_:_:keys:cache:)``) and never need it, while
/// inheritance, exports and the upstream cache read it (``holding()`` keeps it for a model read many times).
package struct FinalModel: Sendable {
    /// The filters, biases and head when held (nil: built from ``span`` on each read).
    private let held: Parameters?
    /// The filters as coefficients on the patches of `training`, when the span engine trained them.
    package let span: (representation: SpanRepresentation, training: TaskSample)?
    /// The biases `b_{j,r}`.
    package let biases: [Double]
    /// The head `a_{j,r}` (nil: §3's fixed second layer).
    package let head: [Double]?

    /// Parameters held as they are.
    package init(_ parameters: Parameters) {
        self.init(held: parameters, span: nil, biases: parameters.biases, head: parameters.head)
    }

    /// Filters kept as `representation` on the training set `training`, with their biases and head.
    package init(span representation: SpanRepresentation, training: TaskSample, biases: [Double], head: [Double]?) {
        self.init(held: nil, span: (representation, training), biases: biases, head: head)
    }

    private init(
        held: Parameters?, span: (representation: SpanRepresentation, training: TaskSample)?, biases: [Double],
        head: [Double]?
    ) {
        self.held = held
        self.span = span
        self.biases = biases
        self.head = head
    }

    /// The parameters, materialised when not held (``SpanRepresentation/filters(_:)``, O(m N d): the same bits
    /// whenever read).
    package var parameters: Parameters {
        if let held { return held }
        guard let span else { preconditionFailure("FinalModel holds neither parameters nor a span") }
        return Parameters(weights: span.representation.filters(span.training), biases: biases, head: head)
    }

    /// The same model with its parameters held (materialised once) and its span kept.
    package func holding() -> FinalModel {
        held == nil ? FinalModel(held: parameters, span: span, biases: biases, head: head) : self
    }
}
