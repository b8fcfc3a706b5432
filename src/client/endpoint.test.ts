import { describe, expect, it } from 'vitest';
import { authorizationHeader, loginParams, validateCredentials } from './credentials.js';
import { controllerApiUrl, modelApiUrl, parseEndpoint } from './endpoint.js';

describe('parseEndpoint', () => {
  it.each([
    ['http://127.0.0.1:17070', 'ws://127.0.0.1:17070', 'http://127.0.0.1:17070'],
    ['https://ctl.example:17070/', 'wss://ctl.example:17070', 'https://ctl.example:17070'],
    ['ws://127.0.0.1:1/api', 'ws://127.0.0.1:1', 'http://127.0.0.1:1'],
    ['wss://h/prefix', 'wss://h/prefix', 'https://h/prefix'],
  ])('%s gives ws %s and http %s', (url, ws, http) => {
    expect(parseEndpoint(url)).toEqual({ ws, http });
  });

  it('builds the controller and model API URLs', () => {
    const e = parseEndpoint('http://127.0.0.1:17070');
    expect(controllerApiUrl(e)).toBe('ws://127.0.0.1:17070/api');
    expect(modelApiUrl(e, 'abc')).toBe('ws://127.0.0.1:17070/model/abc/api');
  });

  it('rejects other schemes and garbage with a not-valid error', () => {
    expect(() => parseEndpoint('ftp://x')).toThrow('scheme must be http, https, ws or wss');
    expect(() => parseEndpoint('127.0.0.1:17070')).toThrow(/not valid/);
  });
});

describe('credentials', () => {
  it('a user logs in as user-<name> with the password; the token never travels as a password', () => {
    expect(loginParams({ user: 'admin', password: 's3cret' })).toMatchObject({ 'auth-tag': 'user-admin', credentials: 's3cret' });
    expect(loginParams({ user: 'admin', token: 't0k' })).toMatchObject({ 'auth-tag': 'user-admin', credentials: '', token: 't0k' });
    expect(loginParams({ tag: 'unit-mysql-0', password: 'p', nonce: 'n' })).toMatchObject({ 'auth-tag': 'unit-mysql-0', credentials: 'p', nonce: 'n' });
  });

  it('REST uses Basic for passwords and Bearer for tokens', () => {
    expect(authorizationHeader({ user: 'admin', password: 'pä' })).toBe(`Basic ${Buffer.from('admin:pä').toString('base64')}`);
    expect(authorizationHeader({ user: 'admin', token: 'abc' })).toBe('Bearer abc');
  });

  it.each([
    [{}, 'missing user not valid'],
    [{ user: 'a' }, 'missing password not valid'],
    [{ tag: 'bogus-1', password: 'p' }, 'agent tag "bogus-1" not valid'],
    [null, 'missing credentials not valid'],
  ])('rejects %j with "%s"', (c, msg) => {
    expect(() => validateCredentials(c)).toThrow(msg);
  });
});
