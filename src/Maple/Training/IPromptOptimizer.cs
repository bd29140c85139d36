using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// An optimiser of prompt parameters whose whole state is named tensors, so that a checkpoint saves it and a
/// resumed run restores it exactly (<see cref="Sgd"/>, <see cref="AdamW"/>).
/// </summary>
public interface IPromptOptimizer : IDisposable
{
    /// <summary>Clears the gradients.</summary>
    void ZeroGrad();

    /// <summary>Updates every parameter that has a gradient, with learning rate <paramref name="lr"/>.</summary>
    void Step(double lr);

    /// <summary>The state by name (e.g. <c>momentum.&lt;parameter&gt;</c>); empty before the first step.</summary>
    IReadOnlyDictionary<string, Tensor> State { get; }

    /// <summary>Restores state saved from <see cref="State"/>.</summary>
    /// <exception cref="InvalidDataException">A name that this optimiser does not keep, or a shape that differs from its parameter's.</exception>
    void LoadState(IReadOnlyDictionary<string, Tensor> state);
}

/// <summary>What every prompt optimiser does alike.</summary>
static class PromptOptimizers
{
    /// <summary>Clears the gradients of <paramref name="parameters"/>.</summary>
    public static void ZeroGrad(IReadOnlyList<(string Name, Parameter Value)> parameters)
    {
        foreach (var (_, parameter) in parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }
}

/// <summary>The optimisers a run can use.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum (the MaPLe family's).</summary>
    Sgd,

    /// <summary>AdamW, decoupled weight decay (MMRL's).</summary>
    AdamW,
}
