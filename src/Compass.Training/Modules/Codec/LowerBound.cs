using TorchSharp;
using static TorchSharp.torch;

namespace Compass.Training.Modules;

/// <summary>
/// <c>max(x, bound)</c> whose gradient is not cut where the bound is active if the gradient would push
/// the value up (CompressAI <c>LowerBoundFunction</c>): the backward pass lets the gradient through where
/// <c>x &gt;= bound</c> or <c>grad &lt; 0</c>. A plain clamp would freeze a parameter stuck below its
/// bound forever; this lets the optimiser pull it back.
/// </summary>
public static class LowerBound
{
    /// <summary>Returns <c>max(x, bound)</c> with the pass-through gradient described on the type.</summary>
    /// <param name="x">Input tensor (float32).</param>
    /// <param name="bound">Lower bound; it is applied at the tensor's precision (float32), as CompressAI's float32 buffer is.</param>
    public static Tensor Apply(Tensor x, float bound) => LowerBoundFunction.apply(x, bound);

    private sealed class LowerBoundFunction : autograd.SingleTensorFunction<LowerBoundFunction>
    {
        public override string Name => "CompassLowerBound";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var bound = (float)vars[1];
            ctx.save_for_backward([x]);
            ctx.save_data("bound", bound);
            return x.clamp_min(bound);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            // Runs on the autograd engine's thread, outside any caller's dispose scope: free the temporaries here.
            using var x = ctx.get_saved_variables()[0];
            var bound = (float)ctx.get_data("bound");
            using var above = x.ge(bound);
            using var descending = grad_output.lt(0);
            using var pass = above.logical_or(descending);
            var grad = grad_output.mul(pass.to_type(grad_output.dtype));
            return [grad, null!];
        }
    }
}
