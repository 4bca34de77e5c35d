/** The query of a citizen lookup: `hoVaTen` and `ngaySinh` (`yyyyMMdd` or `yyyy`), each given once. */
import { ValidationFailed, type FieldError } from '../../src/domain/errors.js';
import { parseBirthDate } from '../../src/domain/identifiers.js';
import type { RawQueryValue } from '../../src/lookup/source.js';

export interface CitizenQueryValues {
  fullName: string;
  birthYear: number;
  /** `yyyyMMdd`, or `yyyy` when only the year was given. */
  birthDate: string;
}

function single(name: string, value: RawQueryValue, errors: FieldError[]): string {
  if (Array.isArray(value)) {
    errors.push({ path: name, message: 'must be given once' });
    return '';
  }
  return value ?? '';
}

export function parseCitizenQuery(query: { hoVaTen?: RawQueryValue; ngaySinh?: RawQueryValue }): CitizenQueryValues {
  const errors: FieldError[] = [];
  const fullName = single('hoVaTen', query.hoVaTen, errors).trim().replace(/\s+/g, ' ');
  const ngaySinh = single('ngaySinh', query.ngaySinh, errors);
  if (!fullName && !Array.isArray(query.hoVaTen)) errors.push({ path: 'hoVaTen', message: 'is required: the full name as registered' });
  else if (fullName.length > 100 || /[\d<>&"]/.test(fullName)) errors.push({ path: 'hoVaTen', message: "must be a person's name of at most 100 letters" });
  const birth = ngaySinh === '' ? 'is required: yyyyMMdd or yyyy' : parseBirthDate(ngaySinh);
  if (typeof birth === 'string' && !Array.isArray(query.ngaySinh)) errors.push({ path: 'ngaySinh', message: birth });
  if (errors.length > 0 || typeof birth === 'string') {
    throw new ValidationFailed('invalid_query', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  return { fullName, birthYear: birth.year, birthDate: birth.date ?? String(birth.year) };
}
