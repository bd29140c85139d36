using System.Runtime.ExceptionServices;

namespace Maple.Imaging;

/// <summary>Runs per-image work over indices, optionally in parallel, reporting the lowest-index failure.</summary>
internal static class BatchRunner
{
    /// <summary>Runs <paramref name="body"/> for 0..<paramref name="count"/>-1.</summary>
    public static void For(int count, int maxParallelism, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        if (maxParallelism == 1 || count < 2)
        {
            for (var i = 0; i < count; i++)
                body(i);
            return;
        }
        var errors = new Exception?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism }, i =>
        {
            try
            {
                body(i);
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });
        // Rethrow the error of the first failing item so that the report does not depend on thread timing.
        foreach (var e in errors)
        {
            if (e is not null)
                ExceptionDispatchInfo.Throw(e);
        }
    }
}
