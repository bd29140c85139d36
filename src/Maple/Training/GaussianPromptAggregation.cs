using System.Globalization;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// PromptSRC's Gaussian prompt aggregation (GPA): epoch e (1-based) of N weighs N(e; μ, σ), normalised so the N
/// weights sum to 1, and the final prompts are the weighted sum of the prompts at the end of each epoch (the authors'
/// <c>GPA_MEAN</c> and <c>GPA_STD</c>).
/// </summary>
/// <param name="Mean">μ, in epochs (base-to-novel 15, cross-dataset 6, few-shot 30 or 45).</param>
/// <param name="Std">σ, in epochs (base-to-novel 1, cross-dataset 10, few-shot 30 or 5).</param>
public sealed record GaussianPromptAggregation(double Mean, double Std)
{
    /// <summary>The normalised weight of each of <paramref name="epochs"/> epochs, epoch 1 first.</summary>
    /// <remarks>
    /// Computed from the exponents relative to the largest, which is the authors' density divided by its sum
    /// (the constant factor cancels) without underflowing to 0 / 0 when μ lies many σ beyond the epochs.
    /// </remarks>
    public double[] Weights(int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        var exponents = Enumerable.Range(1, epochs).Select(e => -0.5 * Math.Pow((e - Mean) / Std, 2)).ToArray();
        var largest = exponents.Max();
        var unnormalised = exponents.Select(x => Math.Exp(x - largest)).ToArray();
        var sum = unnormalised.Sum();
        return unnormalised.Select(w => w / sum).ToArray();
    }

    /// <summary>Checks μ and σ; an error is an <see cref="InvalidSettingException"/> naming the setting.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Mean))
            throw new InvalidSettingException("PromptAggregation.Mean", "must be a finite number", Mean);
        if (!(Std > 0) || !double.IsFinite(Std))
            throw new InvalidSettingException("PromptAggregation.Std", "must be a positive finite number", Std);
    }

    /// <summary>"μ 15, σ 1", for logs and reports.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"μ {Mean}, σ {Std}");
}

/// <summary>
/// The running sum of <see cref="GaussianPromptAggregation"/> during a run: after each epoch the prompts times that
/// epoch's weight are added, and after the last the sum replaces the prompts. The sum is part of the training state
/// (<see cref="TrainingCheckpoint"/> saves it under <see cref="Prefix"/>), so a resumed run ends with the same prompts.
/// </summary>
public sealed class PromptAggregate : IDisposable
{
    /// <summary>The prefix of the sum's tensors in a training checkpoint.</summary>
    public const string Prefix = "gpa.";

    readonly double[] _weights;
    readonly Dictionary<string, Tensor> _sum = new(StringComparer.Ordinal);

    /// <summary>Starts an empty sum for a run of <paramref name="epochs"/> epochs.</summary>
    public PromptAggregate(GaussianPromptAggregation settings, int epochs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        _weights = settings.Weights(epochs);
    }

    /// <summary>μ and σ.</summary>
    public GaussianPromptAggregation Settings { get; }

    /// <summary>The weight of each epoch, epoch 1 first (they sum to 1).</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>Whether nothing has been added yet.</summary>
    public bool IsEmpty => _sum.Count == 0;

    /// <summary>Adds the prompts at the end of epoch <paramref name="epoch"/> (0-based) times its weight.</summary>
    public void Add(int epoch, PromptLearner learner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(epoch, _weights.Length);
        using var _ = no_grad();
        foreach (var (name, parameter) in learner.Parameters)
        {
            // As the authors: weighted = prompts × w, then sum = sum + weighted.
            var weighted = parameter.detach() * _weights[epoch];
            if (_sum.Remove(name, out var previous))
            {
                _sum[name] = (previous + weighted).DetachFromDisposeScope();
                previous.Dispose();
                weighted.Dispose();
            }
            else
            {
                _sum[name] = weighted.DetachFromDisposeScope();
            }
        }
    }

    /// <summary>Replaces the learner's prompts with the sum.</summary>
    /// <exception cref="InvalidOperationException">Nothing has been added.</exception>
    public void ApplyTo(PromptLearner learner)
    {
        if (IsEmpty)
            throw new InvalidOperationException("no epoch has been added to the prompt aggregate");
        learner.LoadStateDict(_sum, "the Gaussian prompt aggregate");
    }

    /// <summary>The sum's tensors under <see cref="Prefix"/> + the prompts' names (views of the live sum).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateDict() =>
        _sum.Select(p => KeyValuePair.Create(Prefix + p.Key, p.Value));

    /// <summary>
    /// Restores the sum from a checkpoint's tensors (all of them; those under <see cref="Prefix"/> are taken): it must
    /// hold one tensor per prompt of <paramref name="learner"/>, of the prompt's shape.
    /// </summary>
    /// <exception cref="InvalidDataException">The sum is missing or does not fit the prompts; <paramref name="source"/> is named.</exception>
    public void Load(IReadOnlyDictionary<string, Tensor> tensors, PromptLearner learner, string source)
    {
        var found = tensors.Where(t => t.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[Prefix.Length..], t => t.Value, StringComparer.Ordinal);
        var names = learner.Parameters.Select(p => p.Name).ToList();
        if (found.Count != names.Count || names.Any(n => !found.ContainsKey(n)))
            throw new InvalidDataException(
                $"{source}: does not hold the Gaussian prompt aggregate of its prompts ({Prefix}<name> for each of {names.Count}); the run cannot be resumed exactly, start it again in another output folder");
        foreach (var (name, parameter) in learner.Parameters)
        {
            var value = found[name];
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"{source}: '{Prefix}{name}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", parameter.shape)}]");
        }
        Clear();
        foreach (var (name, parameter) in learner.Parameters)
            _sum[name] = found[name].to(parameter.dtype, copy: true).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => Clear();

    void Clear()
    {
        foreach (var tensor in _sum.Values)
            tensor.Dispose();
        _sum.Clear();
    }
}
