using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// AdamW with PyTorch's semantics (<c>torch.optim.AdamW</c>, amsgrad off): p ← p·(1 − lr·wd); m ← β₁m + (1 − β₁)g;
/// v ← β₂v + (1 − β₂)g²; p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), t counted per parameter. Written here
/// rather than taken from TorchSharp so that m, v and t are named tensors that a checkpoint saves
/// (<c>exp_avg.&lt;name&gt;</c>, <c>exp_avg_sq.&lt;name&gt;</c>, <c>step.&lt;name&gt;</c>) and a resumed run restores exactly.
/// </summary>
public sealed class AdamW : IPromptOptimizer
{
    const string FirstMoment = "exp_avg.";
    const string SecondMoment = "exp_avg_sq.";
    const string StepCount = "step.";

    readonly IReadOnlyList<(string Name, Parameter Value)> _parameters;
    readonly Dictionary<string, Tensor> _state = [];

    /// <summary>Optimises <paramref name="parameters"/>; the defaults are PyTorch's (and Dassl's: β 0.9, 0.999).</summary>
    public AdamW(IReadOnlyList<(string Name, Parameter Value)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _parameters = parameters;
        (WeightDecay, Beta1, Beta2, Eps) = (weightDecay, beta1, beta2, eps);
    }

    /// <summary>The decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>β₁, the first moment's decay.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the second moment's decay.</summary>
    public double Beta2 { get; }

    /// <summary>ε in the denominator.</summary>
    public double Eps { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <inheritdoc />
    public void ZeroGrad() => PromptOptimizers.ZeroGrad(_parameters);

    /// <inheritdoc />
    public void Step(double lr)
    {
        using var _ = no_grad();
        // Explicit scalars, alive until the end of the step (an implicitly converted one can be finalized early).
        using var decay = (1 - lr * WeightDecay).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        foreach (var (name, parameter) in _parameters)
        {
            using var grad = parameter.grad;
            if (grad is null)
                continue;
            if (!_state.TryGetValue(StepCount + name, out var count))
            {
                _state[FirstMoment + name] = zeros_like(parameter).DetachFromDisposeScope();
                _state[SecondMoment + name] = zeros_like(parameter).DetachFromDisposeScope();
                _state[StepCount + name] = count = zeros(1, ScalarType.Float64).DetachFromDisposeScope();
            }
            var (m, v) = (_state[FirstMoment + name], _state[SecondMoment + name]);
            count.add_(1);
            var t = count.item<double>();
            parameter.mul_(decay);
            m.mul_(beta1).add_(grad, oneMinusBeta1);
            v.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            var stepSize = lr / (1 - Math.Pow(Beta1, t));
            using var correction = Math.Sqrt(1 - Math.Pow(Beta2, t)).ToScalar();
            using var epsilon = Eps.ToScalar();
            using var denominator = v.sqrt().div_(correction).add_(epsilon);
            using var negativeStep = (-stepSize).ToScalar();
            parameter.addcdiv_(m, denominator, negativeStep);
        }
    }

    /// <inheritdoc />
    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        foreach (var (key, value) in state)
        {
            var prefix = new[] { FirstMoment, SecondMoment, StepCount }.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal))
                ?? throw new InvalidDataException($"optimizer state '{key}' is not AdamW's (exp_avg, exp_avg_sq or step of a parameter)");
            var name = key[prefix.Length..];
            var parameter = _parameters.FirstOrDefault(p => p.Name == name).Value
                ?? throw new InvalidDataException($"optimizer state '{key}' names no parameter");
            var shape = prefix == StepCount ? [1L] : parameter.shape;
            if (!value.shape.SequenceEqual(shape))
                throw new InvalidDataException($"optimizer state '{key}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", shape)}]");
            if (_state.Remove(key, out var old))
                old.Dispose();
            _state[key] = value.to(prefix == StepCount ? ScalarType.Float64 : ScalarType.Float32).clone().DetachFromDisposeScope();
        }
        foreach (var (name, _) in _parameters)
        {
            var present = new[] { FirstMoment, SecondMoment, StepCount }.Count(p => _state.ContainsKey(p + name));
            if (present is not (0 or 3))
                throw new InvalidDataException($"optimizer state of '{name}' is incomplete: AdamW keeps exp_avg, exp_avg_sq and step together");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in _state.Values)
            tensor.Dispose();
        _state.Clear();
    }
}
