import { InvalidArgumentError } from 'commander';

/** A commander parser for a whole number in [min, max]. */
export const integerIn =
  (min: number, max: number) =>
  (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return value;
  };
