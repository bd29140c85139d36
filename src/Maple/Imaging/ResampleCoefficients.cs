namespace Maple.Imaging;

/// <summary>
/// Fixed-point filter weights for resampling one axis the way Pillow's <c>Resample.c</c> does with the bicubic
/// filter: the filter support grows with the reduction factor, each output sample's weights are normalised to sum
/// to one in double precision and then rounded (half away from zero) to integers with
/// <see cref="PrecisionBits"/> fractional bits. Every step follows Pillow's arithmetic order so that the integer
/// weights, and therefore the output bytes, are identical.
/// </summary>
internal sealed class ResampleCoefficients
{
    /// <summary>Fractional bits of the fixed-point weights (Pillow's <c>PRECISION_BITS</c>: 32 - 8 - 2).</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Starting value of an accumulator: one half, so that the final shift rounds.</summary>
    public const int Half = 1 << (PrecisionBits - 1);

    const double BicubicSupport = 2.0;

    ResampleCoefficients(int kernelSize, int[] first, int[] count, int[] weights)
    {
        KernelSize = kernelSize;
        First = first;
        Count = count;
        Weights = weights;
    }

    /// <summary>Stride between the weight runs of consecutive output samples.</summary>
    public int KernelSize { get; }

    /// <summary>For each output sample, the first input sample it reads.</summary>
    public int[] First { get; }

    /// <summary>For each output sample, how many input samples it reads.</summary>
    public int[] Count { get; }

    /// <summary>Weights, <see cref="KernelSize"/> per output sample (only the first <see cref="Count"/> are used).</summary>
    public int[] Weights { get; }

    /// <summary>Computes the weights mapping input span [<paramref name="in0"/>, <paramref name="in1"/>) onto <paramref name="outSize"/> samples.</summary>
    /// <param name="inSize">Number of input samples (for clamping the taps).</param>
    /// <param name="in0">Start of the source span (single precision, as Pillow stores the box).</param>
    /// <param name="in1">End of the source span.</param>
    /// <param name="outSize">Number of output samples.</param>
    public static ResampleCoefficients Bicubic(int inSize, float in0, float in1, int outSize)
    {
        // Pillow subtracts the floats before widening.
        var scale = (double)(float)(in1 - in0) / outSize;
        var filterScale = scale < 1.0 ? 1.0 : scale;
        var support = BicubicSupport * filterScale;
        var kernelSize = (int)Math.Ceiling(support) * 2 + 1;

        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[checked(outSize * kernelSize)];
        Span<double> k = kernelSize <= 256 ? stackalloc double[kernelSize] : new double[kernelSize];
        var inverseScale = 1.0 / filterScale;
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = in0 + (xx + 0.5) * scale;
            // (int) truncates toward zero like C's cast; negative starts are clamped anyway.
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0)
                xmin = 0;
            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
                xmax = inSize;
            xmax -= xmin;

            var sum = 0.0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Filter((x + xmin - center + 0.5) * inverseScale);
                k[x] = w;
                sum += w;
            }
            var row = weights.AsSpan(xx * kernelSize, kernelSize);
            for (var x = 0; x < xmax; x++)
            {
                var w = sum != 0.0 ? k[x] / sum : k[x];
                row[x] = w < 0
                    ? (int)(-0.5 + w * (1 << PrecisionBits))
                    : (int)(0.5 + w * (1 << PrecisionBits));
            }
            first[xx] = xmin;
            count[xx] = Math.Max(xmax, 0);
        }
        return new ResampleCoefficients(kernelSize, first, count, weights);
    }

    // Keys' cubic convolution kernel with a = -0.5, written in Pillow's operation order for identical doubles.
    static double Filter(double x)
    {
        const double a = -0.5;
        if (x < 0.0)
            x = -x;
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }
}
