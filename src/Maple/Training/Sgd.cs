using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// SGD with momentum and weight decay, with PyTorch's semantics: d = g + wd·p; buf = d on the first
/// step, then buf = momentum·buf + d; p -= lr·buf. Written here rather than taken from TorchSharp so
/// that the momentum buffers are named tensors that a checkpoint saves and a resumed run restores
/// exactly.
/// </summary>
public sealed class Sgd : IPromptOptimizer
{
    readonly IReadOnlyList<(string Name, Parameter Value)> _parameters;
    readonly Dictionary<string, Tensor> _momentum = [];

    /// <summary>Optimises <paramref name="parameters"/>.</summary>
    public Sgd(IReadOnlyList<(string Name, Parameter Value)> parameters, double momentum, double weightDecay)
    {
        _parameters = parameters;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    /// <summary>The momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>The L2 weight decay added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>The momentum buffers by parameter name (empty before the first step).</summary>
    public IReadOnlyDictionary<string, Tensor> MomentumBuffers => _momentum;

    const string MomentumPrefix = "momentum.";

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> State => _momentum.ToDictionary(b => MomentumPrefix + b.Key, b => b.Value);

    /// <inheritdoc />
    public void LoadState(IReadOnlyDictionary<string, Tensor> state) => LoadMomentum(state.ToDictionary(
        s => s.Key.StartsWith(MomentumPrefix, StringComparison.Ordinal)
            ? s.Key[MomentumPrefix.Length..]
            : throw new InvalidDataException($"optimizer state '{s.Key}' is not SGD's (momentum of a parameter)"),
        s => s.Value));

    /// <inheritdoc />
    public void ZeroGrad() => PromptOptimizers.ZeroGrad(_parameters);

    /// <summary>Updates every parameter that has a gradient, with learning rate <paramref name="lr"/>.</summary>
    public void Step(double lr)
    {
        using var _ = no_grad();
        // Explicit scalars, alive until the end of the step: an implicitly converted one can be
        // finalized on another thread while libtorch still reads it.
        using var decay = WeightDecay.ToScalar();
        using var momentum = Momentum.ToScalar();
        using var step = (-lr).ToScalar();
        foreach (var (name, parameter) in _parameters)
        {
            using var grad = parameter.grad;
            if (grad is null)
                continue;
            using var direction = WeightDecay != 0 ? grad.add(parameter, decay) : grad.clone();
            if (Momentum != 0)
            {
                if (_momentum.TryGetValue(name, out var buffer))
                    buffer.mul_(momentum).add_(direction);
                else
                    _momentum[name] = buffer = direction.clone().DetachFromDisposeScope();
                parameter.add_(buffer, step);
            }
            else
            {
                parameter.add_(direction, step);
            }
        }
    }

    /// <summary>Restores momentum buffers saved from <see cref="MomentumBuffers"/>.</summary>
    public void LoadMomentum(IReadOnlyDictionary<string, Tensor> buffers)
    {
        foreach (var (name, value) in buffers)
        {
            var parameter = _parameters.FirstOrDefault(p => p.Name == name).Value
                ?? throw new InvalidDataException($"momentum buffer '{name}' names no parameter");
            if (_momentum.Remove(name, out var old))
                old.Dispose();
            _momentum[name] = value.to(ScalarType.Float32, parameter.device, copy: true).DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in _momentum.Values)
            buffer.Dispose();
        _momentum.Clear();
    }
}
