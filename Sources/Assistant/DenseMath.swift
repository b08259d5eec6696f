import COpenBLAS
import Foundation

/// The few dense operations the encoder needs, on row-major Float matrices. Matrix products go
/// to OpenBLAS's `cblas_sgemm`; the row-wise ones (bias, LayerNorm, GELU, softmax) are plain loops
/// the compiler vectorises.
///
/// Rules it keeps: shapes are checked by `precondition` (a wrong one is a bug here, not bad input),
/// and every function writes only its output buffer.
enum DenseMath {
    /// `y[rows × out] = x[rows × in] · wᵀ + b`, with `w` stored `[out × in]` as PyTorch's Linear keeps it.
    static func linear(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int,
                       into y: UnsafeMutablePointer<Float>) {
        precondition(weight.count == outputs * inputs && bias.count == outputs)
        // Start from the bias in every row, then accumulate the product on top (beta = 1).
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows { (y + r * outputs).update(from: b.baseAddress!, count: outputs) }
        }
        weight.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                        1, x, Int32(inputs), w.baseAddress, Int32(inputs), 1, y, Int32(outputs))
        }
    }

    /// `c[m × n] = alpha · a[m × k] · (transposeB ? bᵀ : b)`, each with its own row stride.
    static func gemm(m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// Each row of `x[rows × width]` normalised to mean 0, variance 1 (biased, as PyTorch), then
    /// scaled by `gamma` and shifted by `beta`, in place.
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: [Float], beta: [Float], epsilon: Float) {
        for r in 0..<rows {
            let row = x + r * width
            var mean: Float = 0
            for i in 0..<width { mean += row[i] }
            mean /= Float(width)
            var variance: Float = 0
            for i in 0..<width { let d = row[i] - mean; variance += d * d }
            variance /= Float(width)
            let inverse = 1 / (variance + epsilon).squareRoot()
            for i in 0..<width { row[i] = (row[i] - mean) * inverse * gamma[i] + beta[i] }
        }
    }

    /// The exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))` (BERT's "gelu", not the tanh approximation), in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let inverseRoot2: Float = 0.7071067811865476
        for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * inverseRoot2)) }
    }

    /// Softmax of each row of `x[rows × width]`, in place; the row's maximum is subtracted first
    /// so no exponent overflows.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var top = -Float.infinity
            for i in 0..<width { top = max(top, row[i]) }
            var sum: Float = 0
            for i in 0..<width { row[i] = expf(row[i] - top); sum += row[i] }
            let inverse = 1 / sum
            for i in 0..<width { row[i] *= inverse }
        }
    }

    /// `x += y`, element-wise.
    static func add(_ y: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}
