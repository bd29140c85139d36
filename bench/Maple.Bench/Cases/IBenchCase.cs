namespace Maple.Bench.Cases;

/// <summary>One benchmark case, run inside a child process of its own.</summary>
public interface IBenchCase
{
    /// <summary>Measures and returns the figures; the child adds its peak RSS to each.</summary>
    IEnumerable<Measurement> Run(CaseArguments args);
}
