import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// A minimal SVG 1.1 writer: elements appended in drawing order, text and attributes XML-escaped.
package struct SVGDocument: Sendable {
    /// Canvas width in px.
    package let width: Double
    /// Canvas height in px.
    package let height: Double
    private var body: [String] = []

    /// An empty white canvas.
    package init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.append(##"<rect x="0" y="0" width="\##(Self.n(width))" height="\##(Self.n(height))" fill="#ffffff"/>"##)
    }

    /// A rectangle; `cssClass` tags it (e.g. `cell`) so tests and stylesheets can find it.
    package mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        stroke: String? = nil, cssClass: String? = nil, title: String? = nil
    ) {
        var attributes =
            ##"x="\##(Self.n(x))" y="\##(Self.n(y))" width="\##(Self.n(width))" height="\##(Self.n(height))" fill="\##(fill)""##
        if let stroke { attributes += ##" stroke="\##(stroke)""## }
        if let cssClass { attributes += ##" class="\##(cssClass)""## }
        if let title {
            body.append("<rect \(attributes)><title>\(Self.escape(title))</title></rect>")
        } else {
            body.append("<rect \(attributes)/>")
        }
    }

    /// A straight line.
    package mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#000000",
        width: Double = 1, dash: String? = nil, cssClass: String? = nil
    ) {
        var attributes =
            ##"x1="\##(Self.n(x1))" y1="\##(Self.n(y1))" x2="\##(Self.n(x2))" y2="\##(Self.n(y2))" stroke="\##(stroke)" stroke-width="\##(Self.n(width))""##
        if let dash { attributes += ##" stroke-dasharray="\##(dash)""## }
        if let cssClass { attributes += ##" class="\##(cssClass)""## }
        body.append("<line \(attributes)/>")
    }

    /// An open polyline through `points`.
    package mutating func polyline(
        _ points: [(Double, Double)], stroke: String, width: Double = 1.5, cssClass: String? = nil
    ) {
        guard !points.isEmpty else { return }
        let coordinates = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        let classAttribute = cssClass.map { ##" class="\##($0)""## } ?? ""
        body.append(
            ##"<polyline points="\##(coordinates)" fill="none" stroke="\##(stroke)" stroke-width="\##(Self.n(width))"\##(classAttribute)/>"##
        )
    }

    /// A filled polygon (a confidence band), drawn with `opacity`.
    package mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double, cssClass: String? = nil) {
        guard !points.isEmpty else { return }
        let coordinates = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        let classAttribute = cssClass.map { ##" class="\##($0)""## } ?? ""
        body.append(
            ##"<polygon points="\##(coordinates)" fill="\##(fill)" fill-opacity="\##(Self.n(opacity))" stroke="none"\##(classAttribute)/>"##
        )
    }

    /// A path from SVG path data.
    package mutating func path(
        _ data: String, stroke: String, width: Double = 1, dash: String? = nil, cssClass: String? = nil
    ) {
        guard !data.isEmpty else { return }
        var classAttribute = cssClass.map { ##" class="\##($0)""## } ?? ""
        if let dash { classAttribute += ##" stroke-dasharray="\##(dash)""## }
        body.append(
            ##"<path d="\##(data)" fill="none" stroke="\##(stroke)" stroke-width="\##(Self.n(width))" stroke-linecap="square"\##(classAttribute)/>"##
        )
    }

    /// A filled circle.
    package mutating func circle(x: Double, y: Double, radius: Double, fill: String, cssClass: String? = nil) {
        let classAttribute = cssClass.map { ##" class="\##($0)""## } ?? ""
        body.append(
            ##"<circle cx="\##(Self.n(x))" cy="\##(Self.n(y))" r="\##(Self.n(radius))" fill="\##(fill)"\##(classAttribute)/>"##
        )
    }

    /// Text; `anchor` is `start`, `middle` or `end`; `rotate` turns it about its anchor point.
    package mutating func text(
        _ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
        rotate: Double = 0, weight: String = "normal"
    ) {
        let transform = rotate == 0 ? "" : ##" transform="rotate(\##(Self.n(rotate)) \##(Self.n(x)) \##(Self.n(y)))""##
        body.append(
            ##"<text x="\##(Self.n(x))" y="\##(Self.n(y))" font-family="Helvetica, Arial, sans-serif" font-size="\##(Self.n(size))" text-anchor="\##(anchor)" font-weight="\##(weight)"\##(transform)>\##(Self.escape(content))</text>"##
        )
    }

    /// The document as text.
    /// Documents side by side in one (facets): each placed as a nested `<svg>` at its offset, heights aligned at the top.
    package static func sideBySide(_ documents: [SVGDocument], gap: Double = 10) -> SVGDocument {
        var combined = SVGDocument(
            width: documents.reduce(0) { $0 + $1.width } + gap * Double(max(documents.count - 1, 0)),
            height: documents.map(\.height).max() ?? 0)
        var x = 0.0
        for document in documents {
            combined.body.append(
                ##"<svg x="\##(n(x))" y="0" width="\##(n(document.width))" height="\##(n(document.height))" viewBox="0 0 \##(n(document.width)) \##(n(document.height))">"##
            )
            combined.body += document.body
            combined.body.append("</svg>")
            x += document.width + gap
        }
        return combined
    }

    package var text: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.n(width))" height="\(Self.n(height))" viewBox="0 0 \(Self.n(width)) \(Self.n(height))">
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    /// A coordinate with at most two decimals.
    static func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
    }

    /// XML-escapes `&`, `<`, `>`, `"`.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
