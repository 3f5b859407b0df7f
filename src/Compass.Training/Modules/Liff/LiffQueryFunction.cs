using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// The per-target-pixel part of the low-resolution LIFF form as one autograd node, processed in
/// chunks of target pixels:
/// <code>
/// h_0 = relu(A[idx] + W_r r)                 A: B x N x K  (first layer's feature part + bias, per source pixel)
/// h_l = relu(W_l h_(l-1) + b_l), l = 1..L     hidden layers
/// P_c = sum_j h_L,j G[idx]_(c,j)             G: B x N x 3 x K (last layer folded with the filtering)
/// </code>
/// Autograd would keep every per-pixel activation (and a gathered copy of G) until backward; this
/// node keeps only its inputs and recomputes each chunk's activations in backward, so the memory of a
/// training step is bounded by the chunk size, not by the target size. The backward is the textbook
/// MLP backward, written out; tests compare it with autograd through the naive form.
/// </summary>
/// <remarks>
/// Arguments (in <c>apply</c> order): A, G, W_r (K x 2), idx (n, int64), r (n x 2), chunk size (int),
/// then (W_l, b_l) for each hidden layer. Returns P: B x n x 3.
/// </remarks>
internal sealed class LiffQueryFunction : autograd.SingleTensorFunction<LiffQueryFunction>
{
    private const int FixedArgs = 6;

    public override string Name => "LiffQuery";

    public static Tensor Apply(object[] args) => apply(args);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (a, g, wr, index, offsets, chunk, layers) = Unpack(vars);
        long batch = a.shape[0], n = index.shape[0];
        // Allocated in the caller's scope: it is the result.
        var output = empty(batch, n, g.shape[2], dtype: a.dtype, device: a.device);
        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            long count = Math.Min(chunk, n - start);
            var idx = index.narrow(0, start, count);
            var h = Activations(a, wr, layers, idx, offsets.narrow(0, start, count))[^1];
            output.narrow(1, start, count).copy_(Filter(g.index_select(1, idx), h));
        }
        var saved = new List<Tensor> { a, g, wr, index, offsets };
        foreach (var (w, b) in layers) { saved.Add(w); saved.Add(b); }
        ctx.save_for_backward(saved);
        ctx.save_data("chunk", chunk);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var saved = ctx.get_saved_variables();
        var a = saved[0];
        var g = saved[1];
        var wr = saved[2];
        var index = saved[3];
        var offsets = saved[4];
        var layers = new (Tensor W, Tensor B)[(saved.Count - 5) / 2];
        for (int l = 0; l < layers.Length; l++) layers[l] = (saved[5 + 2 * l], saved[6 + 2 * l]);
        long chunk = (long)ctx.get_data("chunk");
        long n = index.shape[0];
        long hidden = g.shape[3];

        var gradA = zeros_like(a);
        var gradG = zeros_like(g);
        var gradWr = zeros_like(wr);
        var gradW = layers.Select(l => zeros_like(l.W)).ToArray();
        var gradB = layers.Select(l => zeros_like(l.B)).ToArray();
        var dP = gradOutput.contiguous();

        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            long count = Math.Min(chunk, n - start);
            var idx = index.narrow(0, start, count);
            var r = offsets.narrow(0, start, count);
            var acts = Activations(a, wr, layers, idx, r);
            var dp = dP.narrow(1, start, count); // B x m x 3
            var hLast = acts[^1];

            // P = G[idx] h: dh = dP G[idx], dG[idx] += dP (x) h.
            var dh = dp.unsqueeze(2).matmul(g.index_select(1, idx)).squeeze(2); // B x m x K
            gradG.index_add_(1, idx, dp.unsqueeze(3) * hLast.unsqueeze(2), 1);

            for (int l = layers.Length - 1; l >= 0; l--)
            {
                var dz = dh.masked_fill_(acts[l + 1].le(0), 0).reshape(-1, hidden);
                gradW[l].add_(dz.t().matmul(acts[l].reshape(-1, hidden)));
                gradB[l].add_(dz.sum(dim: 0));
                dh = dz.matmul(layers[l].W).view(-1, count, hidden);
            }
            var dz0 = dh.masked_fill_(acts[0].le(0), 0); // B x m x K
            gradA.index_add_(1, idx, dz0, 1);
            gradWr.add_(dz0.sum(dim: 0).t().matmul(r));
        }

        var grads = new List<Tensor> { gradA, gradG, gradWr, null!, null!, null! };
        for (int l = 0; l < layers.Length; l++) { grads.Add(gradW[l]); grads.Add(gradB[l]); }
        // Autograd takes its own references when this returns; the managed handles go to the caller's scope.
        foreach (var t in grads) t?.MoveToOuterDisposeScope();
        return grads;
    }

    /// <summary>h_0 .. h_L for the target pixels of one chunk (B x m x K each).</summary>
    private static Tensor[] Activations(Tensor a, Tensor wr, (Tensor W, Tensor B)[] layers, Tensor idx, Tensor r)
    {
        var acts = new Tensor[layers.Length + 1];
        acts[0] = a.index_select(1, idx).add_(r.matmul(wr.t())).relu_();
        for (int l = 0; l < layers.Length; l++)
            acts[l + 1] = nn.functional.linear(acts[l], layers[l].W, layers[l].B).relu_();
        return acts;
    }

    /// <summary>P_c = sum_j h_j G_cj for a chunk: G B x m x 3 x K, h B x m x K -> B x m x 3.</summary>
    private static Tensor Filter(Tensor g, Tensor h) => g.matmul(h.unsqueeze(3)).squeeze(3);

    private static (Tensor A, Tensor G, Tensor Wr, Tensor Index, Tensor Offsets, long Chunk, (Tensor W, Tensor B)[] Layers) Unpack(object[] vars)
    {
        var layers = new (Tensor, Tensor)[(vars.Length - FixedArgs) / 2];
        for (int l = 0; l < layers.Length; l++) layers[l] = ((Tensor)vars[FixedArgs + 2 * l], (Tensor)vars[FixedArgs + 2 * l + 1]);
        return ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4], (int)vars[5], layers);
    }
}
