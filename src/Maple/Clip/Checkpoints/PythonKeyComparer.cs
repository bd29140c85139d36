using System.Numerics;
using System.Runtime.CompilerServices;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// Compares dictionary keys and set members the way Python does for the values a pickle can hold:
/// numbers by value across int, float and bool (1 == 1.0 == True), tuples and bytes by content,
/// strings by ordinal, and everything else (tensors, objects) by identity.
/// </summary>
sealed class PythonKeyComparer : IEqualityComparer<object>
{
    // A pickle can build tuples that share sub-tuples through its memo, so a key of a few hundred bytes
    // can stand for an exponentially large tree: hashing looks at a bounded number of elements, and
    // comparing more than that many is refused as a malformed file. Tuples nested deeper than
    // CheckpointLimits.MaxNestingDepth are refused before the recursion could exhaust the stack.
    const int MaxVisits = 100_000;

    public static PythonKeyComparer Instance { get; } = new();

    public new bool Equals(object? x, object? y)
    {
        var budget = MaxVisits;
        return Equals(x, y, ref budget, 0);
    }

    public int GetHashCode(object obj)
    {
        var budget = MaxVisits;
        return Hash(obj, ref budget, 0);
    }

    static void CheckDepth(int depth)
    {
        if (depth > CheckpointLimits.MaxNestingDepth)
            throw new InvalidDataException($"a dict key or set member nests tuples deeper than {CheckpointLimits.MaxNestingDepth} levels");
    }

    static bool Equals(object? x, object? y, ref int budget, int depth)
    {
        CheckDepth(depth);
        if (--budget < 0)
            throw new InvalidDataException("a dict key or set member too large to compare");
        if (ReferenceEquals(x, y))
            return true;
        if (x is null || y is null)
            return false;
        if (IsNumber(x) && IsNumber(y))
            return NumbersEqual(x, y);
        switch (x, y)
        {
            case (string a, string b):
                return string.Equals(a, b, StringComparison.Ordinal);
            case (byte[] a, byte[] b):
                return a.AsSpan().SequenceEqual(b);
            case (object?[] a, object?[] b):
                if (a.Length != b.Length)
                    return false;
                for (var i = 0; i < a.Length; i++)
                {
                    if (!Equals(a[i], b[i], ref budget, depth + 1))
                        return false;
                }
                return true;
            default:
                // Tensors and objects hash by identity in Python (and a tensor's Equals compares values here).
                return false;
        }
    }

    static int Hash(object? obj, ref int budget, int depth)
    {
        CheckDepth(depth);
        switch (obj)
        {
            case null:
                return 0;
            case bool b:
                return b ? 1L.GetHashCode() : 0L.GetHashCode();
            case long l:
                return l.GetHashCode();
            case BigInteger big:
                return big.GetHashCode();
            case double d:
                return d == Math.Floor(d) && d >= long.MinValue && d < 9.2233720368547758E18 ? ((long)d).GetHashCode() : d.GetHashCode();
            case string s:
                return StringComparer.Ordinal.GetHashCode(s);
            case byte[] bytes:
                var hash = new HashCode();
                hash.AddBytes(bytes);
                return hash.ToHashCode();
            case object?[] tuple:
                var combined = new HashCode();
                combined.Add(tuple.Length);
                foreach (var item in tuple)
                {
                    if (--budget < 0)
                        break;
                    combined.Add(Hash(item, ref budget, depth + 1));
                }
                return combined.ToHashCode();
            default:
                return RuntimeHelpers.GetHashCode(obj);
        }
    }

    static bool IsNumber(object value) => value is bool or long or double or BigInteger;

    static bool NumbersEqual(object x, object y)
    {
        if (x is double || y is double)
            return ToDouble(x) == ToDouble(y) && (x is double && y is double || IntegralEquals(x, y));
        return ToBig(x) == ToBig(y);
    }

    // A float equals an int only when it is integral with exactly that value (2**63 as float is not 2**63-1).
    static bool IntegralEquals(object x, object y)
    {
        var (d, other) = x is double dx ? (dx, y) : ((double)y, x);
        return d == Math.Floor(d) && !double.IsInfinity(d) && new BigInteger(d) == ToBig(other);
    }

    static double ToDouble(object value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        BigInteger big => (double)big,
        double d => d,
        _ => throw new InvalidOperationException(),
    };

    static BigInteger ToBig(object value) => value switch
    {
        bool b => b ? BigInteger.One : BigInteger.Zero,
        long l => l,
        BigInteger big => big,
        _ => throw new InvalidOperationException(),
    };
}
