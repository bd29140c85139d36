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
    // A hostile pickle can nest tuples deeply; comparing them recursively must not overflow the stack.
    const int MaxDepth = 200;

    public static PythonKeyComparer Instance { get; } = new();

    public new bool Equals(object? x, object? y) => Equals(x, y, 0);

    public int GetHashCode(object obj) => Hash(obj, 0);

    static bool Equals(object? x, object? y, int depth)
    {
        if (ReferenceEquals(x, y))
            return true;
        if (x is null || y is null)
            return false;
        if (IsNumber(x) && IsNumber(y))
            return NumbersEqual(x, y);
        if (depth > MaxDepth)
            throw new InvalidDataException($"tuples nested deeper than {MaxDepth} levels used as keys");
        return (x, y) switch
        {
            (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
            (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
            (object?[] a, object?[] b) => a.Length == b.Length && a.Zip(b).All(p => Equals(p.First, p.Second, depth + 1)),
            // Tensors and objects hash by identity in Python (a tensor's Equals compares values here).
            _ => false,
        };
    }

    static int Hash(object? obj, int depth)
    {
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
                if (depth > MaxDepth)
                    return 7;
                var combined = new HashCode();
                foreach (var item in tuple)
                    combined.Add(Hash(item, depth + 1));
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
